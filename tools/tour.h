/* tour.h - the chapters of `rcgc tour`; each returns 0 or -1 (error set). */
#ifndef RCGC_TOUR_H
#define RCGC_TOUR_H
int tour_refcount(void);
int tour_objects(void);
int tour_gc(void);
int tour_weakref(void);
#endif
